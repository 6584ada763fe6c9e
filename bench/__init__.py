"""The benchmark of issue 6: the service against the raw-SQL floor (`make bench`, `python -m bench`).

One idea a module:
- dataset: the demo data plus 200 client enterprises, 4,000 contacts, 1,000 quotes (bulk inserts)
- operations: the GraphQL operations, read from frontend_stub/operations.js
- procs: server processes (`python -m api serve`, the floor, the counting server) and /proc readings
- sqlcount: the service's application with each SQL statement counted
- statements: how many statements one step-2 read and one mutation send
- floor: the bare Starlette + asyncpg + orjson endpoint that answers the same data
- agreement: the floor's answers equal the service's
- step2.lua, pyload, load: the load generators (wrk, else Python) and their CPU accounting
- mutations: setAssignmentFunction under 20 clients
- subscribers, fanout: one change pushed to 1,000 subscribers; memory per idle subscriber
- machine, report: what it ran on; the tables printed and written to BENCHMARKS.md
"""
