"""Navigation projects (GB/T 39551): a readable project file defines a patent set and a question; running it
selects and orders the analyses for the project's type and builds the report model."""
