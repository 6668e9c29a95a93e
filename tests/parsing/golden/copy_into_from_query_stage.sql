copy into raw.clicks (id, payload) from (select $1:id, $1 from @landing.click_stage t) file_format = (format_name = 'json_fmt')
