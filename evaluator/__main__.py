"""`python -m cprlint`."""

from cprlint.cli import main

main()
