from listclean.cli import main

main()
