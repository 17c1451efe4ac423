"""Write a synthetic cephalometric dataset (the demo's embedded default).

Usage:
    python tools/generate_synthetic.py [--out data/synthetic]
        [--num-train 60] [--num-val 20] [--seed 0]
"""
import argparse

from ceph_landmarks.core.synthetic import write_synthetic_split


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Generate synthetic lateral cephalograms with the 19 '
        'ISBI landmarks (PNG + COCO JSON, spacing 0.1 mm)')
    parser.add_argument('--out', default='data/synthetic', help='output root')
    parser.add_argument('--num-train', type=int, default=60)
    parser.add_argument('--num-val', type=int, default=20)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument(
        '--scale',
        type=float,
        default=0.2,
        help='image size relative to the 1935 x 2400 ISBI frame')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    for split, num in (('train', args.num_train), ('val', args.num_val)):
        ann_file = write_synthetic_split(args.out, split, num, args.seed,
                                         args.scale)
        print(f'{split}: {num} images -> {ann_file}')


if __name__ == '__main__':
    main()
