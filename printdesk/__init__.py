"""The `printdesk` command: composes core/, intake/ and desktop/ into one program."""
