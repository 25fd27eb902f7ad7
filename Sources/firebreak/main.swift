import FirebreakCLI

Firebreak.runMain()
