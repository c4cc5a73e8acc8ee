"""The shared project store on PostgreSQL (psycopg 3): schema migrations, rows, leases, offline journal."""
