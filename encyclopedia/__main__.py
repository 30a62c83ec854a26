from encyclopedia.cli import main

main()
