"""Training, evaluation and serving code that the stacks deploy.

Runs the same on a laptop CPU as in a SageMaker or EKS container. Never imports Pulumi.
"""

from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_TEXT = DATA_DIR / "sample.txt"
