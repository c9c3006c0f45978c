#!/bin/sh
# The privileged step of GitTix's Postgres (docs/security.md, "Postgres"): run as a
# superuser (PGHOST, PGPORT, PGUSER, PGPASSWORD) before the services start, by
# Compose's `postgres-init` service and Kubernetes' Job `postgres-provision`.
#
# For each database of GITTIX_DATABASES it makes a role of the same name that may
# log in and nothing else (no CREATEDB, CREATEROLE, SUPERUSER, REPLICATION,
# BYPASSRLS), with the password in POSTGRES_PASSWORD_<DATABASE>; makes the database
# owned by that role; lets no other role connect to it; and hands the role every
# object of its public schema (an upgrade from a release that ran as the
# superuser). Safe to run again. scripts/system/provision.ts does the same for
# `npm start` and the tests.
set -eu

for db in ${GITTIX_DATABASES:-auth tickets orders payments notifications}; do
  var="POSTGRES_PASSWORD_$(echo "$db" | tr '[:lower:]' '[:upper:]')"
  eval "password=\${$var:-}"
  if [ -z "$password" ]; then
    echo "provision: $var is not set" >&2
    exit 2
  fi

  psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -v password="$password" -d postgres <<'SQL'
SELECT format('CREATE ROLE %I', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :'db') \gexec
ALTER ROLE :"db" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT
  PASSWORD :'password';
SELECT format('CREATE DATABASE %I OWNER %I', :'db', :'db')
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'db') \gexec
ALTER DATABASE :"db" OWNER TO :"db";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"db" TO :"db";
SQL

  psql -X -q -v ON_ERROR_STOP=1 -v db="$db" -d "$db" <<'SQL'
ALTER SCHEMA public OWNER TO :"db";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
SELECT format('ALTER %s %I.%I OWNER TO %I',
         CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
                        WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END,
         n.nspname, c.relname, :'db')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
   AND pg_get_userbyid(c.relowner) <> :'db'
   AND NOT (c.relkind = 'S' AND EXISTS (
         SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))
UNION ALL
SELECT format('ALTER TYPE %I.%I OWNER TO %I', n.nspname, t.typname, :'db')
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd', 'c')
   AND pg_get_userbyid(t.typowner) <> :'db'
   AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c') \gexec
SQL
  echo "provision: role $db owns database $db, and only it"
done
