"""PointPillars-style 3D detector (pillar encoder, small 2D CNN, CenterPoint-style heatmap head) in PyTorch.

Only the manifest lives here so discovery stays cheap and torch-free; the code
(`plugins.pointpillars.model`) is imported on first use.
"""

from __future__ import annotations

MANIFEST = {
    "id": "pointpillars",
    "name": "PointPillars detector (PyTorch, trainable)",
    "version": "1.0",
    "task": "detect3d",
    "framework": "torch",
    "entry": "plugins.pointpillars.model:PointPillarsDetector",
    "classes": ["Car", "Van", "Truck", "Pedestrian", "Cyclist"],
    "capabilities": ["predict", "fit", "save", "load", "samples:mc_dropout", "samples:ensemble"],
    "parameters": [
        {"name": "score_threshold", "type": "float", "default": 0.3, "minimum": 0.0, "maximum": 1.0,
         "help": "drop detections whose best class score is below this"},
        {"name": "class_thresholds", "type": "str", "default": "",
         "help": "per-class lowest scores on top of score_threshold, e.g. Pedestrian=0.55,Car=0.45 "
         "(benchmarks/base_detector.py --class-thresholds chooses them on generated frames); empty: none"},
        {"name": "refine", "type": "choice", "default": "off", "choices": ["off", "fit", "drop"],
         "help": "fit: place each proposal on its points with the partial-scan fitter of annotator fit (a fit "
         "below refine_min_confidence keeps the network's box) and drop proposals with fewer than "
         "refine_min_points object points or whose points run on beyond the box (a wall, a hedge); drop: only drop those; ~1 s a frame"},
        {"name": "stride_heading", "type": "bool", "default": True,
         "help": "turn pedestrian proposals to the axis of their legs where the leg points show a stride of "
         "0.7 m or more (plugins/pointpillars/stride.py); false: the network's heading"},
        {"name": "short_cyclists", "type": "bool", "default": True,
         "help": "a Cyclist proposal shorter than 1.3 m (a bicycle is 1.5-1.9 m long) becomes a Pedestrian "
         "(plugins/pointpillars/size_class.py); false: the network's class"},
        {"name": "complement", "type": "choice", "default": "off", "choices": ["off", "geometric"],
         "help": "hybrid pre-annotation: geometric: the geometric plugin's boxes (its defaults) merged with the "
         "network's proposals: who wins where both box an object is complement_priority, the loser's boxes fill "
         "the objects the winner's do not explain (the network's checked against their points as refine=fit "
         "does, refine=drop: only dropped); ~1 s a frame more"},
        {"name": "complement_priority", "type": "choice", "default": "auto", "choices": ["auto", "network", "complement"],
         "help": "complement: whose box stands where both find an object; auto: the complementing plugin's with "
         "the shipped weights, the network's once it is fine-tuned on verified frames (it then follows their box "
         "convention)"},
        {"name": "refine_min_confidence", "type": "float", "default": 0.3, "minimum": 0.0, "maximum": 1.0,
         "help": "refine=fit: the lowest fit confidence (object points and their share on the visible faces) "
         "that moves a proposal"},
        {"name": "refine_min_points", "type": "int", "default": 10, "minimum": 0, "maximum": 100000,
         "help": "refine=fit: proposals holding fewer object points (ground and neighbouring boxes left out) "
         "are dropped"},
        {"name": "nms_iou", "type": "float", "default": 0.1, "minimum": 0.0, "maximum": 1.0,
         "help": "a detection overlapping a better one by more than this bird's-eye-view IoU is dropped"},
        {"name": "max_detections", "type": "int", "default": 100, "minimum": 1, "maximum": 1000,
         "help": "most detections per frame (heatmap peaks considered)"},
        {"name": "mc_dropout_rate", "type": "float", "default": 0.1, "minimum": 0.0, "maximum": 0.9,
         "help": "dropout rate of the head's dropout sites when sampling in mode mc_dropout"},
        {"name": "epochs", "type": "int", "default": 12, "minimum": 1, "maximum": 1000,
         "help": "training passes over the labelled frames (fit)"},
        {"name": "early_epochs", "type": "int", "default": 0, "minimum": 0, "maximum": 1000,
         "help": "epochs of a fine-tuning run that mixes in generated frames (the project has fewer than 10 "
         "verified training frames), instead of epochs: train harder on the first verified frames; 0: epochs"},
        {"name": "learning_rate", "type": "float", "default": 0.002, "minimum": 1e-6, "maximum": 1.0,
         "help": "peak learning rate of the one-cycle schedule (AdamW) in fit"},
        {"name": "batch_size", "type": "int", "default": 2, "minimum": 1, "maximum": 64,
         "help": "frames per training step"},
        {"name": "train_dropout", "type": "float", "default": 0.1, "minimum": 0.0, "maximum": 0.9,
         "help": "dropout rate of the head's dropout sites while training"},
        {"name": "augment", "type": "bool", "default": True,
         "help": "random flips, rotation (+-22.5 degrees) and scaling (+-5%) of training frames"},
        {"name": "ensemble_size", "type": "int", "default": 1, "minimum": 1, "maximum": 10,
         "help": "independently trained members (seeds) kept in one checkpoint; >= 2 enables ensemble "
         "sampling (fit then trains every member)"},
        {"name": "from_scratch", "type": "bool", "default": False,
         "help": "fit starts from fresh weights instead of fine-tuning the current ones"},
        {"name": "box_convention", "type": "bool", "default": True,
         "help": "after fine-tuning, learn the labels' box convention (per class: median centre offset away "
         "from the sensor, height, size ratios, share pointing backwards) from the verified frames and correct "
         "later proposals with it; the shipped weights carry none"},
        {"name": "convention_min_boxes", "type": "int", "default": 10, "minimum": 1, "maximum": 100000,
         "help": "a class's box convention is learned and applied only from this many matched boxes on"},
        {"name": "missed_weight", "type": "float", "default": 1.0, "minimum": 0.0, "maximum": 100.0,
         "help": "fine-tuning multiplies the loss weight of the verified objects the current weights miss "
         "(the boxes the user had to add) by this; 1: no emphasis"},
        {"name": "seed", "type": "int", "default": 0, "minimum": 0, "maximum": 2**31 - 1,
         "help": "random seed of initialisation, shuffling and augmentation (member k uses seed + k)"},
        {"name": "precision", "type": "choice", "default": "fp32", "choices": ["fp32", "bf16", "fp16", "int8", "int8-static", "fp16-gpu"],
         "help": "inference arithmetic on CPU: fp32; bf16 or fp16 autocast (convolutions in half precision); "
         "int8 dynamic quantisation (the pillar encoder's linear layer; convolutions stay fp32); int8-static: "
         "the whole network in int8, calibrated once per model version on generated frames (faster); fp16-gpu: "
         "backbone and head in fp16 on a CUDA GPU (refused without one)"},
        {"name": "x_extent", "type": "float", "default": 0.0, "minimum": 0.0, "maximum": 204.8,
         "help": "the grid reaches this far ahead of and behind the sensor (m, whole multiples of the "
         "backbone stride); 0 keeps the model's (51.2 for fresh weights); kept when the model is saved"},
        {"name": "y_extent", "type": "float", "default": 0.0, "minimum": 0.0, "maximum": 204.8,
         "help": "the grid reaches this far to each side of the sensor (m); 0 keeps the model's (25.6)"},
        {"name": "ensemble_refresh", "type": "bool", "default": True,
         "help": "fit keeps a model's ensemble heads and OOD index valid for its new backbone (heads fine-tuned "
         "on bootstrap samples of the frames, index rebuilt with them; a few minutes); off: they are dropped"},
        {"name": "threads", "type": "int", "default": 0, "minimum": 0, "maximum": 256,
         "help": "torch CPU threads for predict and fit; 0: all cores but one"},
    ],
    # Online fine-tuning adapts a trained model to the sequence being annotated: without flips (they break
    # the tie between a lane's side and its heading) and head dropout; 20 epochs fit the new frames closely
    # (checked on the 10 frames after 25 fine-tuned ones: 126 edits, 168 with 10 epochs).
    "finetune_defaults": {"epochs": 20, "augment": False, "train_dropout": 0.0},
    # Weights trained on generated scenes of several simulated sensors (`annotator train-base`), used when a
    # project has none of its own; loading checks this hash. Written by scripts/ship_base_model.py.
    # ``replay`` names the function that generates frames like those the weights learned from: fine-tuning
    # mixes a few in while a project has few verified frames.
    "base_weights": {"file": "weights/base.pt", "sha256": "f51216f76b1f3801f462338e31377582a67bb94d92303564a68a68a559058f41", "card": "weights/base.card.json",
                     "replay": "annotator.synth.replay:generated_frames"},
    # Models > Model version: the forms of the model pre-annotation and scoring can use (annotator.ml.variants);
    # pruned.pt comes from python -m plugins.pointpillars.prune, student.pt from ... .distill_run (generated
    # frames), student_real.pt from ... .distill_run --project (generated frames and verified Argoverse sweeps),
    # and a project's own students (annotator distill) come before the shipped student.
    "variants": {
        "fp32": {"title": "fp32 (the weights as trained)", "precision": "fp32", "card": "weights/base.card.json"},
        "int8-static": {"title": "int8-static (whole network in int8)", "precision": "int8-static", "card": "weights/base.card.json"},
        "fp16-gpu": {"title": "fp16 on the GPU", "precision": "fp16-gpu", "needs": "cuda", "card": "weights/base.card.json"},
        "pruned": {"title": "pruned (half the channels)", "weights": "weights/pruned.pt", "card": "weights/pruned.card.json"},
        "student": {"title": "student (distilled from the ensemble)", "weights": "weights/student.pt", "card": "weights/student.card.json", "project_kind": "student"},
        "student-real": {"title": "student-real (distilled on verified real sweeps too)", "weights": "weights/student_real.pt", "card": "weights/student_real.card.json"},
    },
    # annotator distill: trains a compact student from the ensemble's averaged outputs.
    "distill": "plugins.pointpillars.distill_run:distill_for_host",
    "description": "Learns to detect road users from labelled LiDAR frames: points are grouped into "
    "vertical pillars on a 0.32 m bird's-eye-view grid (x -51.2..51.2 m, y -25.6..25.6 m around the "
    "sensor unless x_extent / y_extent say otherwise), encoded by a small PointNet, processed by a 2D "
    "CNN, and decoded from per-class centre heatmaps. Ships with base weights trained on generated streets "
    "seen by several simulated LiDARs (see its model card); fine-tune them in the app or train your own.",
}  # fmt: skip
