from printdesk.cli import main

raise SystemExit(main())
