"""The Pygame window: `app` turns pygame's mouse and key events into the controller's calls
(digitboard.core.controller), saves PNGs and runs the frame loop; `view` draws the board, its
labels and the correction panel, and says where they are for hit-testing."""
