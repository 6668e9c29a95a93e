-- dialect: tsql
-- defaults: NewData -
-- schema: {"[NewData].[Foo].[Persons]": ["Age", "Name"], "newdata.foo.age_dist": ["AGE", "Count"]}
SELECT age AS AGE, COUNT(*) AS Count INTO Foo.age_dist FROM Foo.Persons GROUP BY Age
