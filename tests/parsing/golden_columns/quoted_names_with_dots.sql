create table db.s."a.b" as select "x.y", t.plain, t."Say ""hi""" as greeting from db.s."t.1" as t
