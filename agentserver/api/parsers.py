"""DRF's body parser, through the pipeline's one JSON parser (same limits as the stream consumers)."""
from rest_framework.parsers import BaseParser

from agentserver.api import pipeline


class PipelineJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        return pipeline.parse_json(body, require_object=False)
