"""Services of the browser app: index lifecycle and search."""
from browser.services.indexing import forget_loaded_indexes, get_serving_index, rebuild_index
from browser.services.search import search_by_image_id, search_by_keywords, search_by_upload

__all__ = ["forget_loaded_indexes", "get_serving_index", "rebuild_index", "search_by_image_id",
           "search_by_keywords", "search_by_upload"]
