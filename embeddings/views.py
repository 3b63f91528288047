"""HTTP API of the embeddings app: evaluation results for the UI."""
from __future__ import annotations

from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from embeddings.selectors import list_evaluations


class EvaluationListApi(APIView):
    class InputSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=200, default=20)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        encoders = serializers.ListField(child=serializers.CharField())
        reference_dirs = serializers.ListField(child=serializers.CharField())
        query_dirs = serializers.ListField(child=serializers.CharField())
        label_column = serializers.CharField()
        ks = serializers.ListField(child=serializers.IntegerField())
        metrics = serializers.JSONField()

    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        evaluations = list_evaluations(**query.validated_data)
        return Response(self.OutputSerializer(evaluations, many=True).data)
