"""The Pygame window: `app` turns mouse and keys into the board's actions and runs the frame
loop; `view` draws the board, its labels and the correction panel."""
