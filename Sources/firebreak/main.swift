import FirebreakCLI

await Firebreak.runMain()
