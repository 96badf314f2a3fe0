"""Runs the wallboard bridge at power-on (MicroPython executes main.py after boot.py)."""

import bridge_app

bridge_app.main()
