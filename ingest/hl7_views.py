"""HL7 v2 over HTTP: POST the message text, get the ACK back (HTTP 200, as in HL7 over HTTP)."""
from django.http import HttpResponse
from rest_framework.views import APIView

from browser.permissions import HasCapability
from browser.roles import CURATE

from ingest.hl7_intake import receive_hl7_message
from ingest.hl7_listener import decode_block

HL7_CONTENT_TYPE = "x-application/hl7-v2+er7; charset=utf-8"


class Hl7MessageApi(APIView):
    """Interface engines authenticate with 'Authorization: Token …' of a curator account."""

    permission_classes = [HasCapability]
    required_capability = CURATE

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)  # the answer is an ACK whatever Accept says

    def post(self, request):
        reply = receive_hl7_message(text=decode_block(request.body), channel="hl7-http")
        response = HttpResponse(reply.ack, content_type=HL7_CONTENT_TYPE)
        response["X-HL7-Ack-Code"] = reply.ack_code
        return response
