"""HTTP API of the embeddings app: evaluation results for the UI."""
from __future__ import annotations

from pathlib import PurePath

from rest_framework import serializers
from rest_framework.views import APIView

from cbir.paging import paged_response
from embeddings.selectors import list_evaluations


class EvaluationListApi(APIView):
    class InputSerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=200, default=20)
        offset = serializers.IntegerField(min_value=0, max_value=10**9, default=0)

    class OutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        created_at = serializers.DateTimeField()
        encoders = serializers.ListField(child=serializers.CharField())
        reference_dirs = serializers.SerializerMethodField()
        query_dirs = serializers.SerializerMethodField()
        label_column = serializers.CharField()
        ks = serializers.ListField(child=serializers.IntegerField())
        metrics = serializers.JSONField()

        def get_reference_dirs(self, evaluation) -> list[str]:
            return folder_names(evaluation.reference_dirs)

        def get_query_dirs(self, evaluation) -> list[str]:
            return folder_names(evaluation.query_dirs)

    def get(self, request):
        query = self.InputSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        count, evaluations = list_evaluations(**query.validated_data)
        return paged_response(self.OutputSerializer(evaluations, many=True).data, count)


def folder_names(folders) -> list[str]:
    """Dataset folders by name only: the server's directory layout is not the users' business."""
    return [PurePath(folder).name for folder in folders or []]
