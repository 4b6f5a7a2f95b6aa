-- The two databases of the db machine, each with a role of its own (no superuser):
--   motcua  : motcua's records (MOTCUA_DATABASE_URL, postgresql+psycopg://); Alembic brings its
--             schema up to date at each flow run.
--   prefect : the Prefect server's database (PREFECT_SERVER_DATABASE_CONNECTION_URL,
--             postgresql+asyncpg://); the server migrates it at start, including
--             CREATE EXTENSION pg_trgm (a trusted extension: the owner may create it).
--
-- Run once, then give each role its password (typed, never on a command line):
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -f init.sql
--   sudo -u postgres psql -c '\password motcua'
--   sudo -u postgres psql -c '\password prefect'
CREATE ROLE motcua LOGIN;
CREATE ROLE prefect LOGIN;
CREATE DATABASE motcua OWNER motcua ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'
    TEMPLATE template0;
CREATE DATABASE prefect OWNER prefect ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'
    TEMPLATE template0;
-- Only the owner may connect (pg_hba.conf narrows it further to the right machines)
REVOKE ALL ON DATABASE motcua FROM PUBLIC;
REVOKE ALL ON DATABASE prefect FROM PUBLIC;
