-- dialect: ansi
-- defaults: - -
-- schema: {"person.person": ["businessentityid", "firstname", "middlename", "lastname"]}
insert into temp.person_full_name
select sq.name, sq.prefixname
from (
    select firstname || middlename as prefixname,
           prefixname || lastname as name
    from person.person
) as sq
