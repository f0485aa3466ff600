"""Attached mode: execplan planning inside an orchestrator's own database, through a profile of
its schema (`profile`), installed and removed by `install` (`execplan attach`, `execplan detach`)."""
