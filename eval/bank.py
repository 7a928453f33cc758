"""The labelled bank for `make eval`: texts as people send them, and what each one means.

Written for the eval (not copied from the intent table): paraphrases, shorthand, typos, emoji,
words around the request, and negatives that must trigger no command ("none"). Each base text is
also tried in noisy variants (see `variants`). Expected slots are checked where given.
"""

from __future__ import annotations

from typing import Any

Case = tuple[str, str, dict[str, Any] | None]

BASE: list[Case] = [
    # reminders
    ("remind me to call mom tomorrow at 5pm", "set_reminder", {"what": "call mom", "when": "tomorrow at 5pm"}),
    ("rmind me to call the dentist tomorrow 10am", "set_reminder", {"what": "call the dentist", "when": "tomorrow 10am"}),
    ("remidn me to take out the bins tonight", "set_reminder", {"what": "take out the bins", "when": "tonight"}),
    ("remind me 2moro at 9 to email sarah", "set_reminder", {"what": "email sarah", "when": "tomorrow at 9"}),
    ("remind me next tuesday at 2:30pm about the dentist", "set_reminder", {"what": "the dentist", "when": "next tuesday at 2:30pm"}),
    ("REMIND ME TO PAY RENT ON THE 1ST AT 9AM", "set_reminder", {"what": "pay rent", "when": "on the 1st at 9am"}),
    ("can u remind me in 20 mins to check the oven", "set_reminder", {"what": "check the oven", "when": "in 20 minutes"}),
    ("set a reminder for friday at noon to call the bank", "set_reminder", {"what": "call the bank", "when": "friday at noon"}),
    ("every monday at 8am remind me to put the bins out", "set_reminder", {"what": "put the bins out", "when": "every monday at 8am"}),
    ("remind me every day at 7 to take my pills", "set_reminder", {"what": "take my pills", "when": "every day at 7"}),
    ("urgent: remind me to move the car at 4pm", "set_reminder", {"what": "move the car", "when": "at 4pm", "urgent": True}),
    ("pls remind me abt the meeting at 3pm", "set_reminder", {"what": "the meeting", "when": "at 3pm"}),
    ("remind me to water the plants", "set_reminder", {"what": "water the plants", "when": ""}),
    ("hey can you remind me to buy a gift for anna on saturday at 10am", "set_reminder", {"what": "buy a gift for anna", "when": "on saturday at 10am"}),
    ("remind me in an hour to stretch", "set_reminder", {"what": "stretch", "when": "in an hour"}),
    ("tomorrow at 6pm remind me to pick up the kids", "set_reminder", {"what": "pick up the kids", "when": "tomorrow at 6pm"}),
    ("reminder: dentist appt thursday 3pm", "set_reminder", None),
    ("remind me tonight to call grandma", "set_reminder", {"what": "call grandma", "when": "tonight"}),
    ("remind me at noon to eat lunch", "set_reminder", {"what": "eat lunch", "when": "at noon"}),
    ("Remind me on Dec 3 at 5pm to renew my passport", "set_reminder", {"what": "renew my passport", "when": "on dec 3 at 5pm"}),
    ("remind me friday about the 9am standup", "set_reminder", None),
    ("remind me to stretch in 30 minutes", "set_reminder", {"what": "stretch", "when": "in 30 minutes"}),
    ("what are my reminders", "list_reminders", {}),
    ("what reminders do i have", "list_reminders", {}),
    ("show me my reminders", "list_reminders", {}),
    ("reminders?", "list_reminders", {}),
    ("any reminders", "list_reminders", {}),
    ("list reminders pls", "list_reminders", {}),
    ("cancel the dentist one", "cancel_reminder", {"which": "dentist"}),
    ("nvm, cancel the dentist one", "cancel_reminder", {"which": "dentist"}),
    ("cancel reminder 2", "cancel_reminder", {"which": "2"}),
    ("delete the plants reminder", "cancel_reminder", {"which": "plants"}),
    ("don't remind me about the rent anymore", "cancel_reminder", {"which": "rent"}),
    ("stop the pills reminder", "cancel_reminder", {"which": "pills"}),
    ("cancel my reminder about the bank", "cancel_reminder", {"which": "bank"}),
    # list
    ("add milk to my list", "add_todo", {"item": "milk"}),
    ("can u add oat milk to the list pls", "add_todo", {"item": "oat milk"}),
    ("put eggs on the shopping list", "add_todo", {"item": "eggs"}),
    ("also add coffee beans", "add_todo", {"item": "coffee beans"}),
    ("add bread", "add_todo", {"item": "bread"}),
    ("todo buy batteries", "add_todo", {"item": "batteries"}),
    ("i need to buy batteries, can u add that to my list", "add_todo", {"item": "batteries"}),
    ("we're out of toilet paper", "add_todo", {"item": "toilet paper"}),
    ("add call the plumber to my todo list", "add_todo", {"item": "call the plumber"}),
    ("shopping list: apples", "add_todo", {"item": "apples"}),
    ("pls put dish soap on the grocery list", "add_todo", {"item": "dish soap"}),
    ("add tomatoes and basil to the list", "add_todo", {"item": "tomatoes and basil"}),
    ("what's on my list", "list_todos", {}),
    ("whats on the list", "list_todos", {}),
    ("show me my shopping list", "list_todos", {}),
    ("my list", "list_todos", {}),
    ("list", "list_todos", {}),
    ("what do i need to buy", "list_todos", {}),
    ("my todo list pls", "list_todos", {}),
    ("done milk", "complete_todo", {"item": "milk"}),
    ("got the eggs", "complete_todo", {"item": "eggs"}),
    ("bought bread", "complete_todo", {"item": "bread"}),
    ("picked up the dry cleaning", "complete_todo", {"item": "dry cleaning"}),
    ("tick off batteries", "complete_todo", {"item": "batteries"}),
    ("finished the taxes", "complete_todo", {"item": "taxes"}),
    ("remove call the plumber from my list", "remove_todo", {"item": "call the plumber"}),
    ("take bread off the shopping list", "remove_todo", {"item": "bread"}),
    ("delete eggs from the list", "remove_todo", {"item": "eggs"}),
    ("clear done", "clear_done_todos", {}),
    ("clear the completed items", "clear_done_todos", {}),
    ("remove the finished ones", "clear_done_todos", {}),
    # settings
    ("i'm in berlin this week", "set_timezone", {"place": "berlin"}),
    ("I'm in Paris now", "set_timezone", {"place": "Paris"}),
    ("timezone Europe/Paris", "set_timezone", {"place": "Europe/Paris"}),
    ("i moved to chicago", "set_timezone", {"place": "chicago"}),
    ("just landed in tokyo", "set_timezone", {"place": "tokyo"}),
    ("set my timezone to london", "set_timezone", {"place": "london"}),
    ("im in NYC for the week", "set_timezone", {"place": "NYC"}),
    ("change my time zone to sydney", "set_timezone", {"place": "sydney"}),
    ("call me Sam", "set_name", {"name": "Sam"}),
    ("hey, pls call me Jess 🙂", "set_name", {"name": "Jess"}),
    ("actually my name is Roberto", "set_name", {"name": "Roberto"}),
    ("my name's Priya", "set_name", {"name": "Priya"}),
    ("you can call me Dr. Lee", "set_name", {"name": "Dr. Lee"}),
    ("quiet hours 22-7", "set_quiet_hours", {"start": "22", "end": "7"}),
    ("quiet hours 10pm to 7am", "set_quiet_hours", {"start": "10pm", "end": "7am"}),
    ("don't text me between 11pm and 8am", "set_quiet_hours", {"start": "11pm", "end": "8am"}),
    ("no messages from 9pm to 6am", "set_quiet_hours", {"start": "9pm", "end": "6am"}),
    ("turn off quiet hours", "quiet_hours_off", {"start": "0", "end": "0"}),
    ("quiet hours off", "quiet_hours_off", {"start": "0", "end": "0"}),
    ("no quiet hours", "quiet_hours_off", {"start": "0", "end": "0"}),
    ("whoami", "whoami", {}),
    ("whats my name", "whoami", {}),
    ("what timezone am i in", "whoami", {}),
    ("show my settings", "whoami", {}),
    ("who am i", "whoami", {}),
    ("what time is it in Tokyo?", "time_in", {"place": "Tokyo"}),
    ("whats the time in london", "time_in", {"place": "london"}),
    ("london rn", "time_in", {"place": "london"}),
    ("whats the time in NYC?", "time_in", {"place": "NYC"}),
    ("time in sydney", "time_in", {"place": "sydney"}),
    ("what time is it in new york right now", "time_in", {"place": "new york"}),
    ("tokyo time", "time_in", {"place": "tokyo"}),
    # notes
    ("note: gate code 4412", "save_note", {"text": "gate code 4412"}),
    ("jot down: call the plumber", "save_note", {"text": "call the plumber"}),
    ("pls note buy milk 🥛", "save_note", {"text": "buy milk"}),
    ("make a note the wifi is Hunter2", "save_note", {"text": "the wifi is Hunter2"}),
    ("new note - parking spot B12", "save_note", {"text": "parking spot B12"}),
    ("notes", "list_notes", {}),
    ("show my notes", "list_notes", {}),
    ("what are my notes?", "list_notes", {}),
    ("find gate", "find_notes", {"query": "gate"}),
    ("search my notes for wifi", "find_notes", {"query": "wifi"}),
    ("look up parking", "find_notes", {"query": "parking"}),
    ("delete note 3", "delete_note", {"number": 3}),
    ("delete all my notes", "delete_all_notes", {}),
    ("delete that note", "delete_that_note", {}),
    # memory
    ("remember that Anna's birthday is June 3", "remember", {"fact": "Anna's birthday is June 3"}),
    ("actually remember my gym locker is now 31", "remember", {"fact": "my gym locker is now 31"}),
    ("don't forget I'm vegetarian", "remember", {"fact": "I'm vegetarian"}),
    ("remember: my passport number ends in 442", "remember", {"fact": "my passport number ends in 442"}),
    ("fyi my sister's name is Kate", "remember", {"fact": "my sister's name is Kate"}),
    ("what do u know abt me?", "list_memories", {}),
    ("what do you know about me", "list_memories", {}),
    ("what have i told you", "list_memories", {}),
    ("what do you remember about me", "list_memories", {}),
    ("forget my address", "forget", {"what": "my address"}),
    ("please forget about Anna's birthday", "forget", {"what": "Anna's birthday"}),
    ("forget everything", "forget_everything", {}),
    ("delete my account", "delete_account", {}),
    ("cancel my account", "delete_account", {}),
    # help and small talk
    ("help", "show_help", {}),
    ("what can you do?", "show_help", {}),
    ("how does this work", "show_help", {}),
    ("what are the commands", "show_help", {}),
    ("hi", "greet", {}),
    ("hello!", "greet", {}),
    ("good morning", "greet", {}),
    ("hey there", "greet", {}),
    ("thanks!", "thanks", {}),
    ("thank you so much", "thanks", {}),
    ("thx", "thanks", {}),
    ("cheers", "thanks", {}),
    ("ok", "acknowledge", {}),
    ("cool", "acknowledge", {}),
    ("got it", "acknowledge", {}),
    # questions about what the user told us and their documents
    ("when is Anna's birthday?", "lookup", None),
    ("where does Bob live", "lookup", None),
    ("how much is the late fee", "lookup", None),
    ("what's the super's number", "lookup", None),
    ("can i have a dog", "lookup", None),
    ("what was the gate code?", "lookup", None),
    ("when is rent due?", "lookup", None),
    ("what's the wifi password", "lookup", None),
    ("who is my landlord?", "lookup", None),
    ("how long is the lease?", "lookup", None),
    # negatives: must trigger no command
    ("call me tomorrow", "none", None),
    ("i'm in a meeting", "none", None),
    ("book me a flight", "none", None),
    ("notebook", "none", None),
    ("forget", "none", None),
    ("delete", "none", None),
    ("remind", "none", None),
    ("listen to this", "none", None),
    ("I'll call you later", "none", None),
    ("im in the car", "none", None),
    ("i'm in trouble lol", "none", None),
    ("play some music", "none", None),
    ("order a pizza", "none", None),
    ("tell me a joke", "none", None),
    ("I'm in love", "none", None),
    ("call me when you can", "none", None),
    ("cancel", "none", None),
    ("the eggs", "none", None),
    ("asdfgh", "none", None),
    ("🙂", "none", None),
    ("my mom said hi", "none", None),
    ("i'm in bed", "none", None),
    ("call me back", "none", None),
    ("send money to bob", "none", None),
    ("i'm in a hurry", "none", None),
    ("stop the car", "none", None),
    ("i need a vacation", "none", None),
]  # fmt: skip

_SWAPS = {"remind": "remidn", "reminders": "reminedrs", "add": "ad", "note": "noet",
          "cancel": "cancle", "delete": "delte", "remember": "remeber", "what's": "whats",
          "tomorrow": "tmrw", "please": "pls", "you": "u", "your": "ur", "about": "abt",
          "timezone": "timzone", "forget": "forgt", "list": "lsit", "quiet": "quite"}  # fmt: skip


def _typo(text: str) -> str | None:
    words = text.split()
    for index, word in enumerate(words):
        swapped = _SWAPS.get(word.lower())
        if swapped:
            return " ".join([*words[:index], swapped, *words[index + 1 :]])
    return None


def variants(text: str) -> list[str]:
    """Noisy versions people send: shouting, emoji and a filler, a typo or shorthand."""
    out = [
        f"{text.rstrip('?!.')} 🙏",
        f"hey {text}" if not text.lower().startswith("h") else f"ok {text}",
    ]
    typo = _typo(text)
    if typo:
        out.append(typo)
    if not any(c.isdigit() for c in text):
        out.append(text.upper() + "!!")
    return out


def cases() -> list[tuple[str, str, dict[str, Any] | None, str]]:
    """(text, intent, slots, kind): the base texts and their variants (kind "variant")."""
    out: list[tuple[str, str, dict[str, Any] | None, str]] = []
    for text, intent, slots in BASE:
        out.append((text, intent, slots, "base"))
        if intent in ("none",) and len(text) < 6:
            continue
        for variant in variants(text):
            out.append((variant, intent, None, "variant"))
    return out


# Times against the fixed clock (Wed 2026-11-25 14:00 America/New_York): when -> local time.
TIMES: list[tuple[str, str]] = [
    ("tomorrow at 5pm", "2026-11-26 17:00"), ("tomorrow 10am", "2026-11-26 10:00"),
    ("tonight", "2026-11-25 20:00"), ("tonight at 9", "2026-11-25 21:00"),
    ("at 6pm", "2026-11-25 18:00"), ("friday at noon", "2026-11-27 12:00"),
    ("next tuesday at 2:30pm", "2026-12-01 14:30"), ("on the 1st at 9am", "2026-12-01 09:00"),
    ("the 15th at 8am", "2026-12-15 08:00"), ("in 20 minutes", "2026-11-25 14:20"),
    ("in an hour", "2026-11-25 15:00"), ("on saturday at 10am", "2026-11-28 10:00"),
    ("on dec 3 at 5pm", "2026-12-03 17:00"), ("tomorrow morning", "2026-11-26 09:00"),
    ("this evening", "2026-11-25 18:00"), ("tmrw at 7pm", "2026-11-26 19:00"),
    ("2moro at 8am", "2026-11-26 08:00"), ("at 4pm", "2026-11-25 16:00"),
    ("thursday 3pm", "2026-11-26 15:00"), ("monday at 9", "2026-11-30 09:00"),
    ("at 3pm on the 2nd", "2026-12-02 15:00"), ("in 2 hrs", "2026-11-25 16:00"),
    ("tomorrow at noon", "2026-11-26 12:00"), ("next friday at 6pm", "2026-11-27 18:00"),
]  # fmt: skip

# Places: text -> expected zone of the place it names (through the whole pipeline).
PLACES: list[tuple[str, str]] = [
    ("i'm in berlin this week", "Europe/Berlin"), ("london rn", "Europe/London"),
    ("whats the time in NYC?", "America/New_York"), ("time in sydney", "Australia/Sydney"),
    ("i moved to chicago", "America/Chicago"), ("just landed in tokyo", "Asia/Tokyo"),
    ("I'm in Paris now", "Europe/Paris"), ("what time is it in LA", "America/Los_Angeles"),
    ("i'm in mumbai", "Asia/Kolkata"), ("time in toronto", "America/Toronto"),
    ("i'm in denver now", "America/Denver"), ("what time is it in madrid", "Europe/Madrid"),
    ("i'm in lisbon", "Europe/Lisbon"), ("time in singapore", "Asia/Singapore"),
    ("im in seattle", "America/Los_Angeles"), ("what's the time in dubai", "Asia/Dubai"),
    ("i'm in mexico city", "America/Mexico_City"), ("time in auckland", "Pacific/Auckland"),
    ("i'm in rome for work", "Europe/Rome"), ("i'm in boston", "America/New_York"),
]  # fmt: skip
