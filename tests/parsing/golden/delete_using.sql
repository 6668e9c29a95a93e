delete from analytics.customers c using raw.gdpr_erasure_requests r where c.email = r.email
