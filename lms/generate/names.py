"""Word lists for synthetic trusts: names, places, job titles and the text of requests.

Plain data, so the generator's choices stay deterministic for a seed (list order matters).
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aaliyah", "Abdul", "Ada", "Adam", "Adebayo", "Aisha", "Alex", "Alfie", "Alice", "Amara", "Amelia", "Amir",
    "Amy", "Ana", "Andrew", "Anna", "Anne-Marie", "Archie", "Arjun", "Ava", "Ayesha", "Beatrice", "Ben", "Bethany",
    "Bilal", "Callum", "Caroline", "Charlie", "Charlotte", "Chen", "Chloe", "Chris", "Claire", "Connor", "Daniel",
    "David", "Deborah", "Dev", "Dylan", "Eleanor", "Elena", "Eliza", "Ella", "Emily", "Emma", "Ethan", "Eve",
    "Faisal", "Fatima", "Femi", "Finley", "Fiona", "Freya", "Gareth", "George", "Grace", "Hannah", "Harry", "Hassan",
    "Helen", "Holly", "Ibrahim", "Imogen", "Isaac", "Isla", "Jack", "Jacob", "James", "Jamie", "Jasmine", "Jess",
    "Joanna", "Jonah", "Joseph", "Joshua", "Julia", "Kamal", "Karen", "Kate", "Kiran", "Lara", "Laura", "Layla",
    "Leah", "Leo", "Liam", "Lily", "Lucy", "Mahmoud", "Maria", "Mark", "Martha", "Mason", "Matthew", "Maya",
    "Mei", "Mia", "Michael", "Mohammed", "Nadia", "Naomi", "Nathan", "Niamh", "Nicola", "Noah", "Olivia", "Omar",
    "Oscar", "Owen", "Paul", "Poppy", "Priya", "Rachel", "Rebecca", "Reuben", "Rhys", "Rosa", "Rose", "Ruby",
    "Ryan", "Sam", "Sara", "Sean", "Siobhan", "Sofia", "Sophie", "Stephen", "Sunita", "Tara", "Theo", "Thomas",
    "Tom", "Umar", "Vera", "Victoria", "Will", "Yasmin", "Yusuf", "Zac", "Zainab", "Zoe",
)
LAST_NAMES = (
    "Adeyemi", "Ahmed", "Ali", "Allen", "Anderson", "Bailey", "Baker", "Begum", "Bell", "Bennett", "Brown",
    "Byrne", "Campbell", "Carter", "Chapman", "Chen", "Clarke", "Collins", "Cook", "Cooper", "Davies", "Dixon",
    "Doyle", "Edwards", "Ellis", "Evans", "Fisher", "Fraser", "Gill", "Graham", "Green", "Haddad", "Hall",
    "Harris", "Hill", "Hughes", "Hussain", "Jackson", "James", "Jones", "Kaur", "Kelly", "Khan", "King",
    "Kowalski", "Lee", "Lewis", "Lloyd", "Marshall", "Martin", "Mason", "Mills", "Mitchell", "Moore", "Morgan",
    "Morris", "Murphy", "Nguyen", "Nowak", "O'Brien", "O'Neill", "Okafor", "Owen", "Palmer", "Parker", "Patel",
    "Phillips", "Price", "Rahman", "Reid", "Richards", "Roberts", "Robinson", "Rogers", "Ryan", "Scott", "Shah",
    "Sharma", "Simpson", "Singh", "Smith", "Stewart", "Taylor", "Thomas", "Thompson", "Turner", "Walker",
    "Walsh", "Ward", "Watson", "White", "Williams", "Wilson", "Wood", "Wright", "Young",
)

# School names: a place (prefix + suffix) and a kind of school; the size weight says how many staff.
PLACE_PREFIXES = (
    "Oak", "Ash", "Elm", "Birch", "Willow", "Hazel", "Rowan", "Holly", "Maple", "Cedar", "Beech", "Alder",
    "Thorn", "Fern", "Heather", "Bramble", "Clover", "Meadow", "Brook", "River", "Lake", "Mill", "Stone",
    "Church", "Castle", "King", "Queen", "Abbey", "Bridge", "Green", "Hill", "Dale", "Vale", "Ridge", "Moor",
    "Marsh", "Wood", "North", "South", "East", "West", "High", "Long", "Broad", "Fair", "Spring", "Red",
    "White", "Black", "Silver",
)
PLACE_SUFFIXES = (
    "field", "wood", "bridge", "brook", "hill", "ford", "ton", "ley", "dale", "side", "gate", "well", "mead",
    "bury", "wick", "combe", "stead", "holme", "thorpe", "worth", "lands", "park", "view", "croft", "haven",
    "cliffe", "hurst", "borough", "bank", "shaw",
)
SCHOOL_KINDS = (
    ("Primary School", 1.0), ("Academy", 2.6), ("High School", 3.0), ("Infant School", 0.7),
    ("Junior School", 0.8), ("C of E Primary School", 0.9), ("Catholic Primary School", 0.9),
    ("Community Primary School", 1.0), ("Secondary School", 2.8), ("Free School", 1.4), ("Nursery School", 0.4),
    ("Sixth Form College", 1.8), ("Special School", 1.2), ("Primary Academy", 1.1),
)
STAFF_PER_SIZE_WEIGHT = 34  # staff in a school of weight 1.0 (a one-form-entry primary)

CENTRAL_DOMAIN = "central-team"

# (title, staff type) for school staff below the line managers, with relative frequencies.
SCHOOL_JOBS = (
    ("Class teacher", "employee", 30), ("Teaching assistant", "employee", 20),
    ("Learning support assistant", "employee", 8), ("Subject teacher", "employee", 14),
    ("School administrator", "employee", 4), ("Site manager", "employee", 1), ("Cleaner", "employee", 3),
    ("Midday supervisor", "employee", 4), ("Science technician", "employee", 1), ("Cook", "employee", 2),
    ("Librarian", "employee", 1), ("Exams officer", "employee", 1),
    ("Reading volunteer", "volunteer", 3), ("Parent volunteer", "volunteer", 2), ("Governor (volunteer)", "volunteer", 1),
    ("Supply teacher (agency)", "agency_worker", 4), ("Cover supervisor (agency)", "agency_worker", 1),
    ("Educational psychologist (consultant)", "consultant", 1), ("Sports coach (consultant)", "consultant", 1),
    ("Speech and language therapist (consultant)", "consultant", 1),
)
SCHOOL_NON_EMPLOYEES = (("Reading volunteer", "volunteer"), ("Supply teacher (agency)", "agency_worker"),
                        ("Educational psychologist (consultant)", "consultant"))
SCHOOL_MANAGER_JOBS = ("Deputy headteacher", "Assistant headteacher", "Head of year", "Head of department",
                       "SENCo", "School business manager", "Phase leader", "Head of sixth form")
CENTRAL_DIRECTOR_JOBS = ("Director of operations", "Director of education", "Chief financial officer",
                         "Director of people", "Director of estates", "Director of safeguarding")
CENTRAL_JOBS = (
    ("HR officer", "employee", 4), ("Finance officer", "employee", 4), ("Payroll officer", "employee", 2),
    ("Communications officer", "employee", 2), ("Estates manager", "employee", 2), ("Data analyst", "employee", 2),
    ("School improvement adviser", "employee", 3), ("Procurement officer", "employee", 1),
    ("Trust SEND lead", "employee", 1), ("IT technician (agency)", "agency_worker", 2),
    ("Safeguarding adviser (consultant)", "consultant", 1), ("Governance volunteer", "volunteer", 1),
)

PLATFORMS = ("facebook", "twitter", "instagram", "linkedin", "tiktok", "whatsapp", "blog", "youtube")
ACCOUNTS = ("The school's Facebook page", "The PE department's X account", "The school's Instagram account",
            "The trust's LinkedIn page", "The sixth form's TikTok account", "The school blog",
            "The parents' WhatsApp broadcast list", "The music department's YouTube channel")
PURPOSES = ("News of school events and achievements for parents.", "Fixtures and results of school sports teams.",
            "Recruitment adverts and open days.", "Reminders about term dates, trips and closures.",
            "Celebrating pupils' work, without names or faces.", "Careers and sixth form information.")
CONDITIONS = ("Only first names of staff; never pupils' names.", "Check photographs for consent lists before posting.",
              "Posts go out in school hours only.", "Send the weekly schedule to the headteacher on Mondays.")
CONDITION_FLAGS = ("no_pupil_images", "no_pupil_names", "official_account_only", "school_devices_only",
                   "posts_checked_first")
ENQUIRERS = ("A reporter", "A researcher", "A freelance journalist", "A producer", "A news editor")
OUTLETS = ("The Evening Post", "BBC Radio Local", "Schools Week", "The Courier", "Local Live", "The Gazette")
QUESTIONS = ("Can you comment on the new uniform policy?", "Is it true the school is closing its sixth form?",
             "What is the school doing about the flooding in the car park?",
             "Would a teacher talk to us about the exam results?", "Can we film the nativity play?")
RESPONSES = ("The trust's press statement, as agreed with the CEO.", "A short statement from the headteacher.",
             "The results summary already published on the website.")
REFERENCE_FOR = ("A LinkedIn recommendation", "An employer's reference request", "A university application",
                 "A volunteering placement", "A teaching post at another school")
DRAFTS = ("Worked with us for three years and was reliable and kind.", "Dates of employment and role only.", None)
MISUSE_LINKS = ("https://www.facebook.com/groups/local-parents/posts/", "https://x.com/someone/status/",
                "https://www.tiktok.com/@account/video/", "https://www.instagram.com/p/")
MISUSE_DESCRIPTIONS = ("A parents' group post names a member of staff and accuses them of favouritism.",
                       "A video filmed in the playground has been posted without consent.",
                       "A colleague's public post describes a pupil's behaviour in detail.",
                       "Someone has set up an account using the school's logo.", None)
OUTCOMES = ("Spoke to the member of staff; the post was taken down the same day.",
            "Reported the account to the platform; it was removed.",
            "Contacted the parent concerned; the post was edited.", "Passed to the designated safeguarding lead.")
DECLINE_REASONS = ("Please use the school's existing account instead.", "Not in line with 5.1: the purpose is unclear.",
                   "The trust's communications team will respond instead.", "Only the headteacher gives references.")
REVOKE_REASONS = ("Posts did not keep to the conditions agreed.", "The account is closing at the end of term.")
CONTEST_REASONS = ("I think the post is compliant because it was on a private account.",
                   "Clause 4.4 fits better than the one marked as right.",
                   "The scenario does not say whether the school approved this.",
                   "Surely this is fine outside working hours?")
