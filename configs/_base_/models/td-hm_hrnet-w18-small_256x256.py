# A small HRNet-W18 (two blocks per branch, one module per stage) with the
# heatmap head at 256 x 256, 64 x 64 heatmaps, DARK (unbiased) decoding:
# trains on a CPU.
_base_ = ['./td-hm_hrnet-w48_512x512.py']

codec = dict(
    _base_.codec, input_size=(256, 256), heatmap_size=(64, 64), unbiased=True)

model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_blocks=(2, )),
            stage2=dict(num_blocks=(2, 2), num_channels=(18, 36)),
            stage3=dict(
                num_modules=1,
                num_blocks=(2, 2, 2),
                num_channels=(18, 36, 72),
            ),
            stage4=dict(
                num_modules=1,
                num_blocks=(2, 2, 2, 2),
                num_channels=(18, 36, 72, 144)))),
    head=dict(in_channels=18, decoder=codec))

train_pipeline = [
    *_base_.whole_image,
    _base_.box_augmentation,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    _base_.pack_inputs,
]
val_pipeline = [
    *_base_.whole_image,
    dict(type='TopdownAffine', input_size=codec['input_size']),
    _base_.pack_inputs,
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = val_dataloader
