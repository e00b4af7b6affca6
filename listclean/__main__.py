from listclean.entry import main

main()
