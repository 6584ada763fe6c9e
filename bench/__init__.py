"""The benchmark of issues 6 and 18: the service against the raw-SQL floor (`make bench`, `python -m bench`).

One idea a module:
- dataset, bulk: the demo data plus 200 client enterprises, 4,000 contacts, 1,000 quotes and 20
  users (or 100 times as many), written in bulk (COPY on PostgreSQL)
- operations: the GraphQL operations, read from frontend_stub/operations.js, and their Accept
- procs: server processes (`python -m api serve`, the floor, the counting server) and /proc readings
- sqlcount: the service's application with each SQL statement counted
- statements: how many statements one step-2 read and one mutation send
- floor: the bare Starlette + asyncpg + orjson endpoint that answers the same data
- agreement: the floor's answers equal the service's
- step2.lua, pyload, load: the load generators (wrk, else Python) and their CPU accounting
- mutations: setAssignmentFunction under 20 clients
- mix: the realistic mix, 20 users each on their own draft, one change for four reads
- scale: the cost of a request on the usual dataset and on one 100 times larger
- subscribers, fanout: one change pushed to 1,000 subscribers (or 5,000 on two processes over
  Redis); memory per idle subscriber
- profile: where the CPU of one step-2 read goes (`python -m bench.profile`)
- machine, tables, report: what it ran on; the tables, written to BENCHMARKS.md and the README
"""
