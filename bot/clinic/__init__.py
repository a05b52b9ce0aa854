"""The clinic's features around the answers: feedback, the care team's card, the take-home
summary, the clinicians' reviews and their sheet, the reading grade, privacy."""
