# Pieces of the test-only configs, which shrink the real configs so that a
# training run takes seconds on CPU: a tiny HRNet (one module per stage, one
# block per branch, 8 to 64 channels), the matching widths of the SRPose
# head, and data loaders without worker processes.
tiny_hrnet = dict(
    extra=dict(
        stage1=dict(num_blocks=(1, ), num_channels=(16, )),
        stage2=dict(num_blocks=(1, 1), num_channels=(8, 16)),
        stage3=dict(
            num_modules=1, num_blocks=(1, 1, 1), num_channels=(8, 16, 32)),
        stage4=dict(
            num_modules=1,
            num_blocks=(1, 1, 1, 1),
            num_channels=(8, 16, 32, 64))))
tiny_srpose_head = dict(
    in_channels=[64, 32, 16, 8],
    branch_channels=[16, 16, 8, 8],
    per_emb_nums=[4, 4, 2, 2])
tiny_loader = dict(batch_size=4, num_workers=0, persistent_workers=False)
