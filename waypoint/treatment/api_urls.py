app_name = "treatment-api"
urlpatterns = []
