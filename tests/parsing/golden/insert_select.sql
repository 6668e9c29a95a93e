insert into analytics.audit_log (actor, action, at)
select u.name, 'login', current_timestamp() from raw.users u join raw.logins l on l.user_id = u.id
