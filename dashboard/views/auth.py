"""Staff login and logout: Django's session views (CSRF, safe redirects), with a throttle."""

from django.contrib import messages
from django.contrib.auth import views as auth_views

from dashboard.forms import StaffLoginForm
from dashboard.throttles import login_failed, login_wait_seconds, throttled_message


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    form_class = StaffLoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        email = request.POST.get("username", "")
        wait = login_wait_seconds(request, email)
        if wait is not None:
            # No password is checked while throttled: guessing gains nothing.
            form = self.form_class(request, initial={"username": email[:254]})
            context = self.get_context_data(form=form, throttled=throttled_message(wait))
            response = self.render_to_response(context)
            response.status_code = 429
            response["Retry-After"] = str(int(wait))
            return response
        return super().post(request, *args, **kwargs)

    def form_invalid(self, form):
        login_failed(self.request, self.request.POST.get("username", ""))
        return super().form_invalid(form)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"Welcome, {form.get_user().name or 'back'}.")
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link cannot log anyone out."""
