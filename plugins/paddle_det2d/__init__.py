"""A compact one-stage 2D detector for camera images (CenterNet/TTFNet-style) in PaddlePaddle.

Only the manifest lives here so discovery stays cheap and paddle-free; the code
(`plugins.paddle_det2d.model`) is imported on first use.
"""

from __future__ import annotations

MANIFEST = {
    "id": "paddle-det2d",
    "name": "Compact 2D detector (PaddlePaddle, trainable)",
    "version": "1.0",
    "task": "detect2d",
    "framework": "paddle",
    "entry": "plugins.paddle_det2d.model:PaddleDetector2D",
    "classes": ["Car", "Van", "Truck", "Pedestrian", "Cyclist"],
    "capabilities": ["predict", "fit", "save", "load", "samples:mc_dropout"],
    "parameters": [
        {"name": "score_threshold", "type": "float", "default": 0.3, "minimum": 0.0, "maximum": 1.0,
         "help": "drop detections whose best class score is below this"},
        {"name": "nms_iou", "type": "float", "default": 0.5, "minimum": 0.0, "maximum": 1.0,
         "help": "a detection overlapping a better one (any class) by more than this IoU is dropped"},
        {"name": "max_detections", "type": "int", "default": 100, "minimum": 1, "maximum": 1000,
         "help": "most detections per image (heatmap peaks considered)"},
        {"name": "input_scale", "type": "float", "default": 0.5, "minimum": 0.1, "maximum": 2.0,
         "help": "images are resized by this factor before the network (smaller: faster, misses small "
         "objects); fit also uses it"},
        {"name": "dropout_rate", "type": "float", "default": 0.1, "minimum": 0.0, "maximum": 0.9,
         "help": "rate of the head's dropout sites: while training (fit) and when sampling (mc_dropout)"},
        {"name": "epochs", "type": "int", "default": 10, "minimum": 1, "maximum": 1000,
         "help": "training passes over the labelled images (fit)"},
        {"name": "learning_rate", "type": "float", "default": 0.002, "minimum": 1e-6, "maximum": 1.0,
         "help": "peak learning rate of AdamW with warm-up and cosine decay (fit)"},
        {"name": "batch_size", "type": "int", "default": 8, "minimum": 1, "maximum": 64,
         "help": "image crops per training step (fit)"},
        {"name": "crop_width", "type": "int", "default": 320, "minimum": 32, "maximum": 4096,
         "help": "width of the random training crops in network pixels (after input_scale); 0-padded "
         "when the image is narrower"},
        {"name": "augment", "type": "bool", "default": True,
         "help": "random horizontal flips, crops and brightness of training images (fit)"},
        {"name": "from_scratch", "type": "bool", "default": False,
         "help": "fit starts from fresh weights instead of fine-tuning the current ones"},
        {"name": "seed", "type": "int", "default": 0, "minimum": 0, "maximum": 2**31 - 1,
         "help": "random seed of initialisation, shuffling and augmentation"},
        {"name": "threads", "type": "int", "default": 0, "minimum": 0, "maximum": 256,
         "help": "paddle CPU threads for predict and fit; 0: all cores but one"},
    ],
    "description": "Learns to box road users in camera images: a small convolutional backbone with a "
    "feature pyramid down to stride 4 of the resized image, a per-class centre heatmap and box-side "
    "distances per cell (GIoU loss), decoded by peak picking and NMS in numpy. Ships without weights: "
    "train it in the app (fit) or load a local checkpoint.",
}  # fmt: skip
