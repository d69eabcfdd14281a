"""nbgrader configuration: solutions/ is the instructor source, assignments/ the release."""
c = get_config()  # noqa: F821 (provided by nbgrader)
c.CourseDirectory.root = "."
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
