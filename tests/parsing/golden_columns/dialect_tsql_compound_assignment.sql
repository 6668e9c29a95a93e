-- dialect: tsql
UPDATE sr
SET sr.Name += ' - tool malfunction', sr.Hits *= wo.ScrappedQty + 1
FROM Production.ScrapReason AS sr
JOIN Production.WorkOrder AS wo
     ON sr.ScrapReasonID = wo.ScrapReasonID
     AND wo.ScrappedQty > 300;
