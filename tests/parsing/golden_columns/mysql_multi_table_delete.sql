-- dialect: mysql
DELETE o, i FROM shop.orders AS o JOIN shop.order_items AS i ON i.order_id = o.id
JOIN shop.cancellations c ON c.order_id = o.id WHERE c.reason = 'fraud'
