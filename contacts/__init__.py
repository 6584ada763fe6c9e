"""The domain of step 2 of an order: who receives the technician, who receives the router, who
follows the order. It knows nothing of GraphQL nor of HTTP.

- `rules` (pure): the contact rules of the seed, each written once; `messages`: what users read.
- `state`: a quote's lines and contact list, and what the rules make of them.
- `quote_contacts`, `enterprise_contacts`: the commands, each run by `changes.run_change`, which
  raises the versions that cached answers depend on (`dependencies`).
- `reads`, `visibility`, `auth`: what a viewer may read, one statement per kind of data.
- `db`: the database, reached one way; `models` and `migrations/`: its tables.
- `events`, `broker`: quote events, in one process or through Redis.
"""
