"""Staff login and logout: Django's session views (CSRF, safe redirects), with the login
throttle the API draws on too (dentalai.throttles)."""

from django.contrib import messages
from django.contrib.auth import views as auth_views

from dashboard.forms import StaffLoginForm
from dentalai.throttles import login_succeeded, login_try, wait_message


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    form_class = StaffLoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        email = request.POST.get("username", "")
        self.attempt = login_try(request, email)
        if self.attempt.wait is not None:
            # No password is checked while throttled: guessing gains nothing.
            form = self.form_class(request, initial={"username": email[:254]})
            context = self.get_context_data(form=form, throttled=wait_message(self.attempt.wait))
            response = self.render_to_response(context)
            response.status_code = 429
            response["Retry-After"] = str(int(self.attempt.wait) + 1)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        login_succeeded(self.attempt)
        messages.success(self.request, f"Welcome, {form.get_user().name or 'back'}.")
        return response


class LogoutView(auth_views.LogoutView):
    """POST only (Django's default): a link cannot log anyone out."""
