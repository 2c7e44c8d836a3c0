"""The inventory in SQL: checked rows, installations and their DMCs, the devices the pass joins."""

from __future__ import annotations

from kir.tracker.engine.sql import REGIONS_SQL, canonical_device_id


def hex_text(expr: str, digits: int) -> str:
    """Canonical upper-case hex (as kir.identifiers.normalise_hex), NULL when malformed."""
    pattern = f"'[0-9A-F]{{{digits}}}'"
    text = f"upper(replace(replace(replace(trim({expr}), '-', ''), ':', ''), '.', ''))"
    stripped = f"regexp_replace({text}, '^0X', '')"
    return (
        f"CASE WHEN regexp_full_match({expr}, {pattern}) THEN {expr} "
        f"WHEN regexp_full_match({stripped}, {pattern}) THEN {stripped} END"
    )


def checked_inventory(source: str) -> str:
    """Inventory rows normalised, each with the reason it is rejected (NULL when it is fine)."""
    return f"""
        WITH raw AS (
            SELECT kir_row_no AS row_no, CAST(device_id AS VARCHAR) AS raw_device_id,
                   CAST(installation_id AS VARCHAR) AS installation_id,
                   CAST(region AS VARCHAR) AS region, CAST(supplier AS VARCHAR) AS supplier,
                   CAST(device_type AS VARCHAR) AS device_type,
                   CAST(manufacturer AS VARCHAR) AS manufacturer, CAST(model AS VARCHAR) AS model,
                   CAST(firmware_version AS VARCHAR) AS firmware_version
            FROM {source}),
        norm AS (
            SELECT row_no, raw_device_id, device_id,
                   CASE WHEN device_id IS NOT NULL THEN hash(device_id) END AS dev_key,
                   installation_id, region, supplier, device_type, manufacturer, model,
                   firmware_version
            FROM (
                SELECT row_no, raw_device_id,
                       {canonical_device_id("raw_device_id")} AS device_id,
                       nullif(trim(installation_id), '') AS installation_id,
                       lower(trim(region)) AS region,
                       nullif(trim(supplier), '') AS supplier,
                       nullif(upper(trim(device_type)), '') AS device_type,
                       {hex_text("manufacturer", 4)} AS manufacturer,
                       {hex_text("model", 8)} AS model,
                       {hex_text("firmware_version", 8)} AS firmware_version
                FROM raw)),
        checked AS (
            SELECT n.row_no, n.raw_device_id, n.device_id, n.dev_key, n.installation_id,
                   n.region, n.supplier,
                   n.device_type || '/' || n.manufacturer || '/' || n.model || '/'
                       || n.firmware_version AS component,
                CASE WHEN n.device_id IS NULL
                          THEN 'device_id: expected an EUI-64 (16 hex digits)'
                     WHEN n.installation_id IS NULL THEN 'installation_id: empty'
                     WHEN n.region IS NULL OR n.region NOT IN ({REGIONS_SQL})
                          THEN 'region: expected north, central or south'
                     WHEN n.supplier IS NULL THEN 'supplier: empty'
                     WHEN n.device_type IS NULL THEN 'device_type: empty'
                     WHEN n.manufacturer IS NULL THEN 'manufacturer: expected 4 hex digits'
                     WHEN n.model IS NULL THEN 'model: expected 8 hex digits'
                     WHEN n.firmware_version IS NULL
                          THEN 'firmware_version: expected 8 hex digits'
                END AS reason
            FROM norm n)
        -- The raw id is kept only where it explains a reject: strings cost memory.
        SELECT * EXCLUDE (raw_device_id),
               CASE WHEN reason IS NOT NULL THEN raw_device_id END AS raw_device_id
        FROM checked"""


# Duplicates are marked afterwards: a GROUP BY over the integer key is far cheaper than
# joining the normalised rows with themselves.
INVENTORY_DUPLICATES = """
    UPDATE inventory_checked SET reason = 'device_id: duplicate of row ' || d.first_row,
                                 raw_device_id = inventory_checked.device_id
    FROM (SELECT dev_key, min(row_no) AS first_row FROM inventory_checked
          WHERE dev_key IS NOT NULL GROUP BY dev_key HAVING count(*) > 1) d
    WHERE inventory_checked.dev_key = d.dev_key AND inventory_checked.row_no > d.first_row
      AND inventory_checked.reason IS NULL"""


# An installation's DMC: its distinct components, as a sorted list of their hashes (a list of
# integers groups far faster than a string per installation). Python turns each distinct list
# into the catalogue's DMC id and a readable signature (there are few), so no per-device Python
# runs.
INSTALLATIONS = """
    CREATE OR REPLACE TEMP TABLE installation AS
    SELECT hash(installation_id) AS inst_key, installation_id,
           min(region) AS region, min(supplier) AS supplier,
           list_sort(list_distinct(list(hash(component)))) AS parts
    FROM inventory_checked WHERE reason IS NULL
    GROUP BY installation_id"""


COMPONENTS = """
    SELECT component, hash(component) AS part
    FROM (SELECT DISTINCT component FROM inventory_checked WHERE reason IS NULL)"""


DISTINCT_PARTS = "SELECT DISTINCT parts FROM installation"


INSTALLATION_DMCS = """
    CREATE OR REPLACE TEMP TABLE installation_dmc AS
    SELECT n.inst_key, n.installation_id, n.region, n.supplier, s.dmc_key
    FROM installation n JOIN dmc s ON s.parts = n.parts"""


# The pass groups by region number (an integer is cheaper per alert than a string); aggregates()
# turns the numbers back into names, with 0 and 4 for rejected rows and unknown devices.
DEVICES = f"""
    CREATE OR REPLACE TEMP TABLE device AS
    SELECT i.dev_key, i.device_id, n.inst_key, n.region, n.dmc_key,
           list_position([{REGIONS_SQL}], n.region)::UTINYINT AS region_no
    FROM inventory_checked i JOIN installation_dmc n ON n.installation_id = i.installation_id
    WHERE i.reason IS NULL"""


DMC_REGION_SUPPLIERS = """
    SELECT region, dmc_key, supplier, count(*) AS installations
    FROM installation_dmc GROUP BY ALL ORDER BY ALL"""


INVENTORY_REJECTS = """
    SELECT row_no, reason, raw_device_id AS device_id FROM inventory_checked
    WHERE reason IS NOT NULL ORDER BY row_no"""
