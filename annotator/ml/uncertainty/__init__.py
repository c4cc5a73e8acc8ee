"""Uncertainty of model proposals: K stochastic passes (ensemble, MC dropout, test-time augmentation),
aggregated per object into entropy, mutual information, box spread, presence and stability."""
