import sys
from pathlib import Path

# notebook_support.py sits beside the tests (the test folders are not packages).
sys.path.insert(0, str(Path(__file__).resolve().parent))
