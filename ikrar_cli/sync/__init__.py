"""Online sync from terminals: signed requests, the push client, the kiosk's background push."""
