-- dialect: teradata
CREATE VIEW hr.employee_card AS
SEL e.Name (TITLE 'Employee'),
    e.DOB (DATE, FORMAT 'YYYY-MM-DD') (TITLE 'Birthdate'),
    e.Salary * 1.1 (DECIMAL(18,2)) (NAMED raised),
    e.Dept (CHAR(4)),
    ADD_MONTHS (e.Hired, 12) AS anniversary,
    'x (TITLE ''y'')' AS literal
FROM hr.Employee e;
