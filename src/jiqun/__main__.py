from jiqun.cli import main

main()
