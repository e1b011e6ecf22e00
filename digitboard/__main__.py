from digitboard.cli import run

run()
