"""Regenerate the bundled sample query history: ``python config/sample/build_sample.py``.

"Northwind Pay", a fintech/e-commerce warehouse on Snowflake, 30 days ending 2026-11-20:
raw PII loaded from a landing stage, dbt staging views, a dbt incremental model built through
``__dbt_tmp`` relations, a marketing mart protected by a masking policy, a partner share fed
with hashed e-mails, an unload of customer data to an S3 stage, a renamed table, a
clone-and-swap maintenance, a session temporary table, a masked e-mail copied into a free-text
column of its own table, the last four digits of a phone kept for caller checks, an outbound share
with a partner account and an external function sent customer e-mails and phones, and the noise a
crawler must skip (SELECTs with PII literals, SHOW/DESCRIBE/USE, failed and our own queries, one
statement that does not parse). Deterministic: the same file every run.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

OUT = Path(__file__).with_name("query_history.jsonl")
START = datetime(2026, 10, 22, 2, 0, tzinfo=timezone.utc)
DAYS = 30

CUSTOMERS_VIEW = """create or replace view PROD_DB.STAGING.STG_CUSTOMERS copy grants as (
    select customer_id, lower(email) as email, phone, first_name, last_name, date_of_birth,
           country_code, created_at
    from PROD_DB.RAW.CUSTOMER_PROFILES
    where is_test_account = false
)"""
PAYMENTS_VIEW = """create or replace view PROD_DB.STAGING.STG_PAYMENTS copy grants as (
    select payment_id, order_id, customer_id, amount_usd, card_brand, card_last4, status, paid_at
    from PROD_DB.RAW.PAYMENTS
    where status <> 'test'
)"""
ORDERS_VIEW = """create or replace view PROD_DB.STAGING.STG_ORDERS copy grants as (
    select o.order_id, o.customer_id, o.ordered_at, o.total_usd, s.shipping_country
    from PROD_DB.RAW.ORDERS o
    left join PROD_DB.RAW.SHIPMENTS s on s.order_id = o.order_id
)"""
C360_TMP = """create or replace temporary view PROD_DB.ANALYTICS.CUSTOMER_360__dbt_tmp as (
    with orders as (
        select customer_id, count(*) as order_count, sum(total_usd) as lifetime_value,
               max(ordered_at) as last_order_at
        from PROD_DB.STAGING.STG_ORDERS
        group by customer_id
    ), payments as (
        select customer_id, count_if(status = 'failed') as failed_payments
        from PROD_DB.STAGING.STG_PAYMENTS
        group by customer_id
    )
    select c.customer_id, c.email, c.phone, c.first_name, c.last_name, c.country_code,
           o.order_count, o.lifetime_value, o.last_order_at, p.failed_payments,
           current_timestamp() as updated_at
    from PROD_DB.STAGING.STG_CUSTOMERS c
    left join orders o on o.customer_id = c.customer_id
    left join payments p on p.customer_id = c.customer_id
    where c.created_at > (select coalesce(max(updated_at), '1900-01-01') from PROD_DB.ANALYTICS.CUSTOMER_360)
)"""
C360_MERGE = """merge into PROD_DB.ANALYTICS.CUSTOMER_360 as DBT_INTERNAL_DEST
using PROD_DB.ANALYTICS.CUSTOMER_360__dbt_tmp as DBT_INTERNAL_SOURCE
on (DBT_INTERNAL_SOURCE.customer_id = DBT_INTERNAL_DEST.customer_id)
when matched then update set
    email = DBT_INTERNAL_SOURCE.email, phone = DBT_INTERNAL_SOURCE.phone,
    order_count = DBT_INTERNAL_SOURCE.order_count, lifetime_value = DBT_INTERNAL_SOURCE.lifetime_value,
    last_order_at = DBT_INTERNAL_SOURCE.last_order_at, failed_payments = DBT_INTERNAL_SOURCE.failed_payments,
    updated_at = DBT_INTERNAL_SOURCE.updated_at
when not matched then insert
    (customer_id, email, phone, first_name, last_name, country_code, order_count, lifetime_value,
     last_order_at, failed_payments, updated_at)
values
    (DBT_INTERNAL_SOURCE.customer_id, DBT_INTERNAL_SOURCE.email, DBT_INTERNAL_SOURCE.phone,
     DBT_INTERNAL_SOURCE.first_name, DBT_INTERNAL_SOURCE.last_name, DBT_INTERNAL_SOURCE.country_code,
     DBT_INTERNAL_SOURCE.order_count, DBT_INTERNAL_SOURCE.lifetime_value, DBT_INTERNAL_SOURCE.last_order_at,
     DBT_INTERNAL_SOURCE.failed_payments, DBT_INTERNAL_SOURCE.updated_at)"""
C360_DROP_TMP = "drop view if exists PROD_DB.ANALYTICS.CUSTOMER_360__dbt_tmp cascade"
REVENUE = """create or replace transient table PROD_DB.ANALYTICS.FINANCE_DAILY_REVENUE copy grants as (
    select date_trunc('day', p.paid_at) as revenue_date, o.shipping_country,
           sum(p.amount_usd) as revenue_usd, count(distinct p.customer_id) as paying_customers
    from PROD_DB.STAGING.STG_PAYMENTS p
    join PROD_DB.STAGING.STG_ORDERS o on o.order_id = p.order_id
    where p.status = 'settled'
    group by 1, 2
)"""
AUDIENCE_V1 = """create or replace table PROD_DB.MARTS.MARKETING_AUDIENCE copy grants as
select customer_id, email, first_name, country_code
from PROD_DB.STAGING.STG_CUSTOMERS
where country_code in ('US', 'CA')"""
AUDIENCE_V2 = """create or replace table PROD_DB.MARTS.MARKETING_AUDIENCE copy grants as
select customer_id, email, first_name, country_code, lifetime_value
from PROD_DB.ANALYTICS.CUSTOMER_360
where order_count > 0
qualify row_number() over (partition by email order by lifetime_value desc) = 1"""
PARTNER_FEED = """insert into PROD_DB.SHARE.PARTNER_FEED (email_hash, country_code, order_count, feed_date)
select sha2(lower(email), 256) as email_hash, country_code, order_count, current_date()
from PROD_DB.ANALYTICS.CUSTOMER_360
where order_count >= 3"""
UNLOAD = """copy into @PROD_DB.EXPORTS.S3_CRM_EXPORT/customers/
from (select customer_id, email, phone, lifetime_value from PROD_DB.ANALYTICS.CUSTOMER_360)
file_format = (type = parquet) header = true overwrite = true"""
LOAD_CUSTOMERS = """copy into PROD_DB.RAW.CUSTOMER_PROFILES
from @PROD_DB.RAW.LANDING_STAGE/customers/
file_format = (type = json) match_by_column_name = case_insensitive"""
LOAD_PAYMENTS = """copy into PROD_DB.RAW.PAYMENTS
from @PROD_DB.RAW.LANDING_STAGE/payments/
file_format = (type = json) match_by_column_name = case_insensitive"""
LOAD_ORDERS = "insert into PROD_DB.RAW.ORDERS select * from PROD_DB.RAW.ORDERS_LANDING"
LOAD_SHIPMENTS = "insert overwrite into PROD_DB.RAW.SHIPMENTS select * from PROD_DB.RAW.SHIPMENTS_LANDING"
CHURN_V2 = """create or replace table PROD_DB.ANALYTICS.CHURN_SCORES_V2 as
select customer_id, email, datediff('day', last_order_at, current_date()) as days_since_order,
       case when failed_payments > 2 then 0.9 else 0.2 end as churn_score
from PROD_DB.ANALYTICS.CUSTOMER_360"""
CHURN_RENAME = "alter table PROD_DB.ANALYTICS.CHURN_SCORES_V2 rename to PROD_DB.ANALYTICS.CHURN_SCORES"
RETENTION = """create or replace table PROD_DB.MARTS.RETENTION_CAMPAIGN as
select email, churn_score from PROD_DB.ANALYTICS.CHURN_SCORES where churn_score > 0.5"""
VIP_TMP = """create temporary table VIP_CANDIDATES as
select customer_id, email, lifetime_value from PROD_DB.ANALYTICS.CUSTOMER_360 where lifetime_value > 5000"""
VIP_INSERT = """insert into PROD_DB.MARTS.VIP_CUSTOMERS (customer_id, email, lifetime_value)
select customer_id, email, lifetime_value from VIP_CANDIDATES"""
SUPPORT = """create or replace table PROD_DB.ANALYTICS.SUPPORT_ESCALATIONS as
select t.ticket_id, t.customer_email, t.body, c.lifetime_value
from PROD_DB.RAW.SUPPORT_TICKETS t
join PROD_DB.ANALYTICS.CUSTOMER_360 c on c.email = t.customer_email
where t.priority = 'urgent'"""
# support keeps the last four digits of each phone to verify callers (a partial exposure, rated one
# level below the phone's) and counts e-mails per country (a count carries no value: no finding)
CALLER_VERIFICATION = """create or replace table PROD_DB.SUPPORT.CALLER_VERIFICATION as
select customer_id, right(phone, 4) as phone_last4,
       count(distinct email) over (partition by country_code) as customers_in_country
from PROD_DB.STAGING.STG_CUSTOMERS"""
CLONE = "create or replace table PROD_DB.ANALYTICS.FINANCE_DAILY_REVENUE_REBUILD clone PROD_DB.ANALYTICS.FINANCE_DAILY_REVENUE"
SWAP = "alter table PROD_DB.ANALYTICS.FINANCE_DAILY_REVENUE swap with PROD_DB.ANALYTICS.FINANCE_DAILY_REVENUE_REBUILD"
DROP_CLONE = "drop table if exists PROD_DB.ANALYTICS.FINANCE_DAILY_REVENUE_REBUILD"
# a support engineer copies the (masked) e-mail into a free-text column of the same table
NOTE_FILL = """update PROD_DB.RAW.CUSTOMER_PROFILES
set support_note = 'reach at ' || email
where support_note is null and is_test_account = false"""
# a CRM sync copies contact columns at noon of the last day; security masks the copy's columns three
# hours later: the copy was readable in clear in between, a resolved finding "unmasked from T1 to T2"
# (issue 10 §2). Written after every other row, so the query ids before it stay as they were.
CRM_CONTACTS = """create or replace table PROD_DB.CRM.CONTACTS as
select customer_id, email, phone, country_code from PROD_DB.RAW.CUSTOMER_PROFILES"""
PHONE_MASK = """create or replace masking policy PROD_DB.GOVERNANCE.PHONE_MASK as (val string) returns string ->
  case when current_role() in ('PII_ADMIN', 'CRM_EXPORTER') then val else '***-***-' || right(val, 4) end"""
CRM_MASKING = """alter table PROD_DB.CRM.CONTACTS modify
  column phone set masking policy PROD_DB.GOVERNANCE.PHONE_MASK,
  column email set masking policy PROD_DB.GOVERNANCE.EMAIL_MASK"""
BROKEN = "create or replace table PROD_DB.SCRATCH.BROKEN_REPORT as select customer_id, from where ((("
# egress (issue 14 §4): the partner feed goes out through a share with a consumer account, and a data
# scientist sends e-mails and phones to a remote churn model through an external function. Written
# after every other row, so the query ids before them stay as they were.
SHARE = [
    ("CREATE_SHARE", "create share NORTHWIND_PARTNER comment = 'retail partner feed'"),
    ("GRANT", "grant usage on database PROD_DB to share NORTHWIND_PARTNER"),
    ("GRANT", "grant usage on schema PROD_DB.SHARE to share NORTHWIND_PARTNER"),
    ("GRANT", "grant select on table PROD_DB.SHARE.PARTNER_FEED to share NORTHWIND_PARTNER"),
    ("ALTER_SHARE", "alter share NORTHWIND_PARTNER add accounts = PARTNERORG.RETAIL_PARTNER"),
]
CHURN_FUNCTION = """create or replace secure external function PROD_DB.ML.CHURN_SIGNAL(email varchar, phone varchar)
returns variant api_integration = ML_API as 'https://ml.northwind.example/churn'"""
CHURN_CALL = """select customer_id, PROD_DB.ML.CHURN_SIGNAL(email, phone) as signal
from PROD_DB.ANALYTICS.CUSTOMER_360 where lifetime_value > 1000"""

NOISE = [
    ("USE", "use warehouse TRANSFORM_WH"),
    ("ALTER_SESSION", "alter session set query_tag = 'dbt'"),
    ("SHOW", "show terse objects in schema PROD_DB.STAGING"),
    ("DESCRIBE", "describe table PROD_DB.ANALYTICS.CUSTOMER_360"),
]
ANALYST = [
    "select * from PROD_DB.ANALYTICS.CUSTOMER_360 where email = 'jane.doe@example.com'",
    "select count(*) from PROD_DB.RAW.PAYMENTS where card_last4 = '4242' and amount_usd > 100",
    "select first_name, phone from PROD_DB.STAGING.STG_CUSTOMERS where phone = '+1-202-555-0143'",
]


class Writer:
    """Accumulates rows with monotone end times and deterministic query ids."""

    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []
        self.clock = START

    def add(self, query_type: str, text: str, *, user: str = "DBT_PROD", role: str = "TRANSFORMER",
            session: str = "1001", database: str = "PROD_DB", schema: str = "STAGING", status: str = "SUCCESS",
            tag: str = "", seconds: float = 2.0) -> None:
        start = self.clock + timedelta(seconds=1)
        end = start + timedelta(seconds=seconds)
        self.clock = end
        digest = hashlib.sha1(f"{len(self.rows)}:{text}".encode()).hexdigest()
        query_id = f"01b{digest[:5]}-{digest[5:9]}-{digest[9:13]}-0000-{digest[13:25]}"
        self.rows.append({
            "query_id": query_id, "query_text": text, "query_type": query_type,
            "start_time": start.isoformat(timespec="milliseconds"), "end_time": end.isoformat(timespec="milliseconds"),
            "execution_status": status, "database_name": database, "schema_name": schema,
            "session_id": session, "user_name": user, "role_name": role, "warehouse_name": "TRANSFORM_WH",
            "query_tag": tag, "error_code": None if status == "SUCCESS" else "001003",
            "error_message": None if status == "SUCCESS" else "SQL compilation error",
        })


def build() -> list[dict[str, object]]:
    """Return the sample rows, in end_time order."""
    w = Writer()
    for day in range(DAYS):
        w.clock = START + timedelta(days=day)
        session = str(5000 + day)
        w.add("COPY", LOAD_CUSTOMERS, user="FIVETRAN", role="LOADER", session=session, schema="RAW", seconds=30)
        w.add("COPY", LOAD_PAYMENTS, user="FIVETRAN", role="LOADER", session=session, schema="RAW", seconds=20)
        w.add("INSERT", LOAD_ORDERS, user="FIVETRAN", role="LOADER", session=session, schema="RAW")
        w.add("INSERT", LOAD_SHIPMENTS, user="FIVETRAN", role="LOADER", session=session, schema="RAW")
        dbt = str(7000 + day)
        for query_type, text in NOISE:
            w.add(query_type, text, session=dbt)
        if day in (0, 14):  # views are rebuilt on full runs only
            for view in (CUSTOMERS_VIEW, PAYMENTS_VIEW, ORDERS_VIEW):
                w.add("CREATE_VIEW", view, session=dbt)
        w.add("CREATE_VIEW", C360_TMP, session=dbt, schema="ANALYTICS")
        w.add("DESCRIBE", "describe table PROD_DB.ANALYTICS.CUSTOMER_360__dbt_tmp", session=dbt)
        w.add("MERGE", C360_MERGE, session=dbt, schema="ANALYTICS", seconds=40)
        w.add("DROP", C360_DROP_TMP, session=dbt, schema="ANALYTICS")
        w.add("CREATE_TABLE_AS_SELECT", REVENUE, session=dbt, schema="ANALYTICS", seconds=15)
        w.add("CREATE_TABLE_AS_SELECT", AUDIENCE_V1 if day < 12 else AUDIENCE_V2, session=dbt, schema="MARTS")
        if day % 7 == 3:
            w.add("INSERT", PARTNER_FEED, session=dbt, schema="SHARE")
        if day % 7 == 5:
            w.add("UNLOAD", UNLOAD, user="CRM_SYNC", role="CRM_EXPORTER", session=str(9000 + day), schema="EXPORTS")
        if day == 9:
            w.add("CREATE_TABLE_AS_SELECT", CHURN_V2, user="DS_ALICE", role="DATA_SCIENCE", session="8100",
                  schema="ANALYTICS")
            w.add("RENAME_TABLE", CHURN_RENAME, user="DS_ALICE", role="DATA_SCIENCE", session="8100")
        if day in (10, 20):
            w.add("CREATE_TABLE_AS_SELECT", RETENTION, user="DS_ALICE", role="DATA_SCIENCE", session="8101",
                  schema="MARTS")
        if day == 16:  # a session temporary table collapsed into the VIP mart
            w.add("CREATE_TABLE_AS_SELECT", VIP_TMP, user="DS_ALICE", role="DATA_SCIENCE", session="8200",
                  schema="MARTS")
            w.add("INSERT", VIP_INSERT, user="DS_ALICE", role="DATA_SCIENCE", session="8200", schema="MARTS")
        if day == 22:  # drift: sensitive data reaches a new destination
            w.add("CREATE_TABLE_AS_SELECT", SUPPORT, user="DS_BOB", role="DATA_SCIENCE", session="8300",
                  schema="ANALYTICS")
        if day == 24:  # a partial exposure (issue 10 §1)
            w.add("CREATE_TABLE_AS_SELECT", CALLER_VERIFICATION, user="SUPPORT_DAN", role="SUPPORT_ADMIN",
                  session="8450", schema="SUPPORT")
        if day == 25:  # maintenance: clone, swap, drop
            for query_type, text in (("CREATE_TABLE", CLONE), ("ALTER", SWAP), ("DROP", DROP_CLONE)):
                w.add(query_type, text, user="DBA", role="SYSADMIN", session="8400", schema="ANALYTICS")
        if day == 26:  # masking bypass inside one table (issue 5)
            w.add("UPDATE", NOTE_FILL, user="SUPPORT_DAN", role="SUPPORT_ADMIN", session="8500", schema="RAW")
        if day == 27:
            w.add("CREATE_TABLE_AS_SELECT", BROKEN, user="DS_BOB", role="DATA_SCIENCE", session="8301",
                  schema="SCRATCH")
        for i, text in enumerate(ANALYST):
            w.add("SELECT", text, user="ANALYST_CAROL", role="ANALYST", session=str(6000 + day), schema="ANALYTICS")
        w.add("CREATE_TABLE_AS_SELECT", AUDIENCE_V2.replace("MARKETING_AUDIENCE", "MARKETING_AUDIENCE_DRAFT"),
              user="ANALYST_CAROL", role="ANALYST", session=str(6000 + day), status="FAILED_WITH_ERROR")
        w.add("SELECT", "select query_id from snowflake.account_usage.query_history limit 1",
              user="LINEAGE_SVC", role="LINEAGE_OBSERVER", session=str(9900 + day), tag="lineage-svc")
    w.clock = START + timedelta(days=DAYS - 1, hours=10)
    w.add("CREATE_TABLE_AS_SELECT", CRM_CONTACTS, user="CRM_SYNC", role="CRM_EXPORTER", session="9100", schema="CRM")
    w.clock = START + timedelta(days=DAYS - 1, hours=13)
    w.add("CREATE_MASKING_POLICY", PHONE_MASK, user="SEC_ERIN", role="SECURITYADMIN", session="9200",
          schema="GOVERNANCE")
    w.add("ALTER_TABLE_MODIFY_COLUMN", CRM_MASKING, user="SEC_ERIN", role="SECURITYADMIN", session="9200", schema="CRM")
    w.clock = START + timedelta(days=DAYS - 1, hours=14)
    for query_type, text in SHARE:
        w.add(query_type, text, user="PARTNER_OPS", role="ACCOUNTADMIN", session="9300", schema="SHARE")
    w.clock = START + timedelta(days=DAYS - 1, hours=15)
    w.add("CREATE_EXTERNAL_FUNCTION", CHURN_FUNCTION, user="DS_ALICE", role="DATA_SCIENCE", session="9400", schema="ML")
    w.add("SELECT", CHURN_CALL, user="DS_ALICE", role="DATA_SCIENCE", session="9400", schema="ANALYTICS")
    return w.rows


def main() -> None:
    """Write ``query_history.jsonl`` next to this script."""
    rows = build()
    with OUT.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")
    print(f"wrote {len(rows)} rows to {OUT}")


if __name__ == "__main__":
    main()
