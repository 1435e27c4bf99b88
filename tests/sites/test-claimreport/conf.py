import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "docs" / "_ext"))
extensions = ["myst_nb", "claimreport"]
nb_execution_mode = "force"
nb_execution_raise_on_error = False  # as the book: every page executes
nb_execution_show_tb = True
