import marshmallow as ma


class FeedDumpSchema(ma.Schema):
    url = ma.fields.String(metadata={"description": "https subscription URL; shown once, store it now"})
    webcal_url = ma.fields.String(
        metadata={"description": "the same feed as webcal:// for one-tap subscribe"}
    )


feed_dump_schema = FeedDumpSchema()
