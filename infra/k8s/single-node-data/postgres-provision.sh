#!/bin/sh
# The privileged step of GitTix's Postgres (docs/security.md, "Postgres"): run as a
# superuser (PGHOST, PGPORT, PGUSER, PGPASSWORD) before the migrate step and the
# services, by Compose's `postgres-init` service and Kubernetes' Job `postgres-provision`.
#
# For each database of GITTIX_DATABASES it makes two roles that may log in and
# nothing else (no CREATEDB, CREATEROLE, SUPERUSER, REPLICATION, BYPASSRLS):
# - `<db>_owner` (password POSTGRES_OWNER_PASSWORD_<DB>) owns the database, its
#   public schema and every object in it, and runs the migrations (the migrate step);
# - `<db>` (password POSTGRES_PASSWORD_<DB>), the service's runtime role, may
#   connect, use the schema but not create in it, and read and write the rows of
#   every table the owner made or makes (default privileges): no DDL.
# No other role may connect. Objects of an older release (owned by the superuser or
# by `<db>`, which owned everything before) become the owner's. Safe to run again.
# scripts/system/provision.ts does the same for `npm start` and the tests.
set -eu

for db in ${GITTIX_DATABASES:-auth tickets orders payments notifications}; do
  upper="$(echo "$db" | tr '[:lower:]' '[:upper:]')"
  for var in "POSTGRES_PASSWORD_$upper" "POSTGRES_OWNER_PASSWORD_$upper"; do
    eval "value=\${$var:-}"
    if [ -z "$value" ]; then
      echo "provision: $var is not set" >&2
      exit 2
    fi
  done
  eval "password=\$POSTGRES_PASSWORD_$upper"
  eval "owner_password=\$POSTGRES_OWNER_PASSWORD_$upper"
  owner="${db}_owner"

  psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v owner="$owner" -v password="$password" \
    -v owner_password="$owner_password" -d postgres <<'SQL'
SELECT format('CREATE ROLE %I', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'owner') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
  PASSWORD :'owner_password';
SELECT format('CREATE ROLE %I', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'db') \gexec
ALTER ROLE :"db" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
  PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'owner')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC, :"db";
GRANT CONNECT ON DATABASE :"db" TO :"db";
SQL

  psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v owner="$owner" -d "$db" <<'SQL'
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC, :"db";
SELECT format('ALTER %s %I.%I OWNER TO %I',
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                        WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
         n.nspname, c.relname, :'owner')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
   AND pg_get_userbyid(c.relowner) <> :'owner'
   AND NOT (c.relkind = 'S' AND EXISTS (
         SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, :'owner')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c')
   AND pg_get_userbyid(t.typowner) <> :'owner'
   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
UNION ALL
SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, :'owner')
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> :'owner'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \gexec
GRANT USAGE ON SCHEMA public TO :"db";
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"db";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"db";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"db";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
  GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO :"db";
SQL
  echo "provision: $owner owns database $db; $db may read and write its rows, not its schema"
done
